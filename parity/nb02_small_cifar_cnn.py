"""Keras side of notebook 02 (seed 001): a small CIFAR-10 CNN with BN after every conv and the dense layer.

Seed settings: pixels divided by 255; one-hot labels with categorical cross-entropy (the notebook uses
integer labels with the sparse loss, the same numbers); Adam(learning_rate=0.001); batch 256; 10
epochs; the test set as validation data; fit's default shuffling. It also checks a from-scratch BN
(numpy, float64) against Keras's BatchNormalization(momentum=0.9) on five batches, as the notebook
does against tfjs's.
"""

from common import evaluate, load_cifar10, parse_args, run_seeds

DEFAULTS = {"trainCount": 50000, "testCount": 10000, "epochs": 10, "batchSize": 256, "learningRate": 0.001}


def model_of():
    from keras import Input, Sequential, layers

    stack = [Input((32, 32, 3))]
    for filters in (8, 16):
        for _ in range(2):
            stack += [layers.Conv2D(filters, 3, padding="same", activation="relu"), layers.BatchNormalization()]
        stack.append(layers.MaxPooling2D(2))
    stack += [layers.Flatten(), layers.Dense(256, activation="relu"), layers.BatchNormalization(),
              layers.Dense(10, activation="softmax")]
    return Sequential(stack)


def scratch_bn_diffs(images, test_images):
    """Largest |numpy BN - Keras BN| in training mode over 5 batches of 64, then in inference mode."""
    import numpy as np
    from keras import layers

    gamma, beta, momentum, eps = np.array([1.5, 0.8, 1.2]), np.array([0.1, -0.2, 0.3]), 0.9, 1e-3
    layer = layers.BatchNormalization(momentum=momentum, epsilon=eps)
    layer.build((None, 32, 32, 3))
    layer.set_weights([gamma, beta, np.zeros(3), np.ones(3)])
    mean, var = np.zeros(3), np.ones(3)
    rows = min(64, len(images) // 5)
    training = 0.0
    for i in range(5):
        xb = images[i * rows : (i + 1) * rows].astype("float64")
        mu, sigma2 = xb.mean(axis=(0, 1, 2)), xb.var(axis=(0, 1, 2))
        mean, var = mean * momentum + mu * (1 - momentum), var * momentum + sigma2 * (1 - momentum)
        ours = (xb - mu) / np.sqrt(sigma2 + eps) * gamma + beta
        theirs = np.asarray(layer(xb.astype("float32"), training=True))
        training = max(training, float(np.abs(ours - theirs).max()))
    xt = test_images[:64].astype("float64")
    ours = (xt - mean) / np.sqrt(var + eps) * gamma + beta
    inference = float(np.abs(ours - np.asarray(layer(xt.astype("float32"), training=False))).max())
    return training, inference


def one_run(seed, s):
    import keras

    (x_train, y_train), (x_test, y_test) = load_cifar10(s["trainCount"], s["testCount"])
    x_train, x_test = (x_train / 255.0).astype("float32"), (x_test / 255.0).astype("float32")
    training, inference = scratch_bn_diffs(x_train, x_test)
    keras.utils.set_random_seed(seed)
    y_train_1h, y_test_1h = keras.utils.to_categorical(y_train, 10), keras.utils.to_categorical(y_test, 10)
    model = model_of()
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(learning_rate=s["learningRate"]),
                  metrics=["accuracy"])
    model.fit(x_train, y_train_1h, batch_size=s["batchSize"], epochs=s["epochs"], verbose=ARGS.verbose,
              validation_data=(x_test, y_test_1h))
    scores = evaluate(model, x_test, y_test_1h)
    return {"scratch_bn_max_diff_training": training, "scratch_bn_max_diff_inference": inference,
            "test_loss": scores["loss"], "test_acc": scores["accuracy"]}


if __name__ == "__main__":
    ARGS, SEEDS, SETTINGS = parse_args(__doc__, DEFAULTS)
    run_seeds(ARGS, SEEDS, SETTINGS, one_run)
