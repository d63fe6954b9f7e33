"""Keras side of notebook 03 (seed 002): a deep iris MLP without and with BN after every Dense layer.

Seed settings: scikit-learn's 150 flowers, one-hot labels (Y_setosa, Y_versicolor, Y_virginica);
train_test_split(test_size=0.3, random_state=42), made here by scikit-learn's own rule on numpy's
legacy stream (np.random.RandomState(42).permutation: the first 45 rows are the test set); 'adam';
categorical cross-entropy; batch 32; validation_split 0.2; 1000 epochs; the last BN layer with
momentum 0.95, epsilon 0.005, beta ~ N(0, 0.05), gamma = 0.9.
"""

import numpy as np

from common import evaluate, load_iris, parse_args, run_seeds

DEFAULTS = {"epochs": 1000, "batchSize": 32, "validationSplit": 0.2, "testSize": 0.3, "splitSeed": 42,
            "learningRate": 0.001}


def split(n, test_size, random_state):
    """scikit-learn's train_test_split rows: ceil(test_size*n) test rows first in the permutation."""
    order = np.random.RandomState(random_state).permutation(n)
    n_test = int(np.ceil(test_size * n))
    return order[n_test:], order[:n_test]


def mlp(batch_norm):
    from keras import Input, Sequential, initializers, layers

    stack = [Input((4,))]
    widths = (64, 128, 128, 64, 64)
    for i, units in enumerate(widths):
        stack.append(layers.Dense(units, activation="relu"))
        if batch_norm and i < len(widths) - 1:
            stack.append(layers.BatchNormalization())
        elif batch_norm:
            stack.append(layers.BatchNormalization(momentum=0.95, epsilon=0.005,
                                                   beta_initializer=initializers.RandomNormal(0.0, 0.05),
                                                   gamma_initializer=initializers.Constant(0.9)))
    stack.append(layers.Dense(3, activation="softmax"))
    return Sequential(stack)


def train_epochs(model, x, y, epochs, batch_size):
    import tensorflow as tf

    loss_fn = model.loss

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, model(xb, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        model.optimizer.apply_gradients(zip(grads, model.trainable_variables))

    model.optimizer.build(model.trainable_variables)
    for _ in range(epochs):
        order = np.random.permutation(len(x))
        for start in range(0, len(x), batch_size):
            rows = order[start : start + batch_size]
            step(tf.constant(x[rows]), tf.constant(y[rows]))


def one_run(seed, s):
    import keras

    x, target, names = load_iris()
    y = np.eye(len(names))[target]
    train, test = split(len(x), s["testSize"], s["splitSeed"])
    out = {"columns": ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]
           + [f"Y_{n}" for n in names], "train_test_rows": [len(train), len(test)]}
    for name, batch_norm in (("plain", False), ("bn", True)):
        keras.utils.set_random_seed(seed)
        model = mlp(batch_norm)
        model.compile(optimizer=keras.optimizers.Adam(s["learningRate"]), loss=keras.losses.CategoricalCrossentropy(),
                      metrics=["accuracy"])
        # fit(validation_split=0.2) trains on the first 80% of the rows, reshuffled every epoch, and only
        # watches the rest. On this busy 2-core machine fit's per-epoch cost (~0.1-0.3 s, mostly the
        # validation pass) made 1000 epochs take minutes, so the same training runs as a compiled step
        # over numpy-shuffled batches of 32 (the last one partial, as in fit).
        fit_rows = train[: int(len(train) * (1 - s["validationSplit"]))]
        train_epochs(model, x[fit_rows].astype("float32"), y[fit_rows].astype("float32"), s["epochs"], s["batchSize"])
        scores = evaluate(model, x[test], y[test])
        out[f"test_acc_{name}"], out[f"test_loss_{name}"] = scores["accuracy"], scores["loss"]
    return out


if __name__ == "__main__":
    ARGS, SEEDS, SETTINGS = parse_args(__doc__, DEFAULTS)
    run_seeds(ARGS, SEEDS, SETTINGS, one_run)
