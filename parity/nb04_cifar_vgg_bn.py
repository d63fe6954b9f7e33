"""Keras side of notebook 04 (seed 003): a VGG-style CIFAR-10 CNN, Conv -> BN -> ReLU blocks.

Seed settings: standardize each channel with the training images' np.mean / np.std over (0, 1, 2)
(the test images with the same statistics); train_test_split(test_size=0.3, random_state=777) for the
validation set, done here by scikit-learn's rule on numpy's legacy stream; Adam(1e-4); sparse
categorical cross-entropy; batch 32; 30 epochs; fit's default shuffling. Records what the notebook
records, including the test set's scores (the seed stops at the validation curves).
"""

import numpy as np

from common import evaluate, load_cifar10, parse_args, run_seeds

DEFAULTS = {"trainCount": 50000, "testCount": 10000, "validationSize": 0.3, "splitSeed": 777, "epochs": 30,
            "batchSize": 32, "learningRate": 0.0001}


def vgg():
    from keras import Input, Sequential, layers

    stack = [Input((32, 32, 3))]
    for filters in (32, 64, 128):
        for _ in range(2):
            stack += [layers.Conv2D(filters, 3, padding="same"), layers.BatchNormalization(), layers.Activation("relu")]
        stack.append(layers.MaxPool2D(2, strides=2, padding="same"))
    stack += [layers.Flatten(), layers.Dense(256), layers.BatchNormalization(), layers.Activation("relu"),
              layers.Dense(10, activation="softmax")]
    return Sequential(stack)


def one_run(seed, s):
    import keras

    (x_train, y_train), (x_test, y_test) = load_cifar10(s["trainCount"], s["testCount"])
    mean = np.mean(x_train, axis=(0, 1, 2))
    std = np.std(x_train, axis=(0, 1, 2))
    x_train = ((x_train - mean) / std).astype("float32")
    x_test = ((x_test - mean) / std).astype("float32")
    order = np.random.RandomState(s["splitSeed"]).permutation(len(x_train))  # train_test_split's rows
    n_val = int(np.ceil(s["validationSize"] * len(x_train)))
    val, train = order[:n_val], order[n_val:]
    keras.utils.set_random_seed(seed)
    model = vgg()
    model.compile(optimizer=keras.optimizers.Adam(s["learningRate"]), loss="sparse_categorical_crossentropy",
                  metrics=["acc"])
    history = model.fit(x_train[train], y_train[train], epochs=s["epochs"], batch_size=s["batchSize"],
                        validation_data=(x_train[val], y_train[val]), verbose=ARGS.verbose).history
    scores = evaluate(model, x_test, y_test)
    return {"channel_mean": mean, "channel_std": std, "test_loss": scores["loss"], "test_acc": scores["acc"],
            "best_val_epoch": int(np.argmin(history["val_loss"])) + 1,
            "train_val_acc_gap": history["acc"][-1] - history["val_acc"][-1]}


if __name__ == "__main__":
    ARGS, SEEDS, SETTINGS = parse_args(__doc__, DEFAULTS)
    run_seeds(ARGS, SEEDS, SETTINGS, one_run)
