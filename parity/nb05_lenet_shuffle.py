"""Keras side of notebook 05 (seed 004): LeNet + BN on MNIST, then fit's shuffle on or off.

Seed settings: part 1 as seed 000 with BN (50,000 / 10,000 images, 1 epoch); part 2 on the first
5,000 / 1,000 images with the third conv at kernel 1, stride 5, 5 epochs of batch 32, Adam(), sparse
categorical cross-entropy, shuffle=False then shuffle=True. Like the notebook (and unlike the seed,
whose second fit continued from the first one's weights), every part-2 run starts from the same
initial weights; the third run trains on the images sorted by label without shuffling.
"""

import numpy as np

from common import evaluate, image_2png, lenet_input, load_mnist, parse_args, run_seeds

DEFAULTS = {"trainCount": 50000, "testCount": 10000, "epochs": 1, "shuffleTrainCount": 5000,
            "shuffleTestCount": 1000, "shuffleEpochs": 5, "batchSize": 32, "learningRate": 0.001}


def lenet_bn(kernel3=5, stride3=1):
    from keras import Input, Sequential, layers

    return Sequential([
        Input((32, 32, 1)),
        layers.Conv2D(6, 5, strides=1, activation="tanh"), layers.BatchNormalization(),
        layers.AveragePooling2D(2, strides=2),
        layers.Conv2D(16, 5, strides=1, activation="tanh"), layers.BatchNormalization(),
        layers.AveragePooling2D(2, strides=2),
        layers.Conv2D(120, kernel3, strides=stride3, activation="tanh"), layers.BatchNormalization(),
        layers.Flatten(), layers.Dense(84, activation="tanh"), layers.Dense(10, activation="softmax"),
    ])


def compiled(model, s):
    import keras

    model.compile(optimizer=keras.optimizers.Adam(s["learningRate"]), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def one_run(seed, s):
    import keras

    (x_train, y_train), (x_test, y_test) = load_mnist(s["trainCount"], s["testCount"])
    x_train, x_test = lenet_input(x_train), lenet_input(x_test)
    model = compiled(lenet_bn(), s)
    model.fit(x_train, y_train, epochs=s["epochs"], batch_size=s["batchSize"], verbose=ARGS.verbose)
    out = {"test_acc": evaluate(model, x_test, y_test)["accuracy"],
           "predicted_class": int(np.argmax(model.predict(image_2png(), verbose=0)))}

    (xs, ys), (xs_test, ys_test) = load_mnist(s["shuffleTrainCount"], s["shuffleTestCount"])
    xs, xs_test = lenet_input(xs), lenet_input(xs_test)
    by_label = np.argsort(ys, kind="stable")
    runs = {}
    for name, x, y, shuffle in (("no_shuffle", xs, ys, False), ("shuffle", xs, ys, True),
                                ("sorted_no_shuffle", xs[by_label], ys[by_label], False)):
        keras.utils.set_random_seed(seed)  # same initial weights for every run
        run = compiled(lenet_bn(kernel3=1, stride3=5), s)
        history = run.fit(x, y, epochs=s["shuffleEpochs"], batch_size=s["batchSize"], shuffle=shuffle,
                          verbose=ARGS.verbose).history
        runs[name] = (history["loss"], evaluate(run, xs_test, ys_test)["accuracy"])
    out.update({f"loss_{name}": losses for name, (losses, _) in runs.items()})
    out["test_acc_runs"] = {name: acc for name, (_, acc) in runs.items()}
    return out


if __name__ == "__main__":
    ARGS, SEEDS, SETTINGS = parse_args(__doc__, DEFAULTS)
    run_seeds(ARGS, SEEDS, SETTINGS, one_run)
