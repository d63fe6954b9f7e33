"""Keras reference for scripts/bench.ts: the seeds' own framework (Keras 3 on TensorFlow), the same
architectures as scripts/reference-models.ts, batch sizes, Adam 1e-3 and cross-entropy, on random
inputs, at one thread count per process (TensorFlow fixes its thread pools when it starts).

Prints one JSON object on stdout: {"keras": version, "tensorflow": version, "results": [...]}.
Usage: .venv/bin/python scripts/bench_keras.py --steps 20 --warmup 3 --threads 1 [--families a,b]
"""
import argparse
import json
import os

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
os.environ['KERAS_BACKEND'] = 'tensorflow'

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402

from bench_timing import result, time_calls, time_steps  # noqa: E402


def lenet(conv3_kernel=5, conv3_stride=1):
    # Seed 000: conv(tanh) -> BN -> average pool, twice, then the third convolution (seed 004: 1x1, stride 5).
    return keras.Sequential([
        keras.Input((32, 32, 1)),
        layers.Conv2D(6, 5, activation='tanh'), layers.BatchNormalization(), layers.AveragePooling2D(2),
        layers.Conv2D(16, 5, activation='tanh'), layers.BatchNormalization(), layers.AveragePooling2D(2),
        layers.Conv2D(120, conv3_kernel, strides=conv3_stride, activation='tanh'), layers.BatchNormalization(),
        layers.Flatten(), layers.Dense(84, activation='tanh'), layers.Dense(10, activation='softmax')])


def small_cnn():
    # Seed 001: ReLU convolutions, each followed by BN.
    def conv(f): return [layers.Conv2D(f, 3, padding='same', activation='relu'), layers.BatchNormalization()]
    return keras.Sequential([
        keras.Input((32, 32, 3)), *conv(8), *conv(8), layers.MaxPooling2D(2), *conv(16), *conv(16),
        layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(256, activation='relu'),
        layers.BatchNormalization(), layers.Dense(10, activation='softmax')])


def vgg_cnn():
    # Seed 003: convolution, BN, then ReLU, two per stage; same-padded 2x2 pools.
    def conv(f): return [layers.Conv2D(f, 3, padding='same'), layers.BatchNormalization(), layers.Activation('relu')]
    stack = [keras.Input((32, 32, 3))]
    for f in (32, 64, 128):
        stack += conv(f) + conv(f) + [layers.MaxPooling2D(2, strides=2, padding='same')]
    return keras.Sequential(stack + [
        layers.Flatten(), layers.Dense(256), layers.BatchNormalization(), layers.Activation('relu'),
        layers.Dense(10, activation='softmax')])


def iris_mlp():
    # Seed 002: BN after every hidden layer, the last with the seed's own settings.
    stack = [keras.Input((4,))]
    units = [64, 128, 128, 64, 64]
    for i, n in enumerate(units):
        stack.append(layers.Dense(n, activation='relu'))
        if i == len(units) - 1:
            stack.append(layers.BatchNormalization(
                momentum=0.95, epsilon=0.005,
                beta_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.05),
                gamma_initializer=keras.initializers.Constant(value=0.9)))
        else:
            stack.append(layers.BatchNormalization())
    return keras.Sequential(stack + [layers.Dense(3, activation='softmax')])


# family -> (builder, batch, input shape without batch, classes, one-hot labels); names match bench.ts.
FAMILIES = {
    'lenet': (lenet, 32, (32, 32, 1), 10, False),
    'lenet_s5': (lambda: lenet(1, 5), 32, (32, 32, 1), 10, False),
    'small_cnn': (small_cnn, 256, (32, 32, 3), 10, False),
    'vgg': (vgg_cnn, 32, (32, 32, 3), 10, False),
    'iris': (iris_mlp, 32, (4,), 3, True),
}


def bench(family, threads, steps, warmup):
    keras.utils.set_random_seed(1)
    build, batch, shape, classes, onehot = FAMILIES[family]
    model = build()
    # As the seeds compile: Adam, (sparse) categorical cross-entropy, accuracy; Keras's default jit_compile.
    loss = 'categorical_crossentropy' if onehot else 'sparse_categorical_crossentropy'
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss, metrics=['accuracy'])
    rng = np.random.default_rng(7)
    x = rng.standard_normal((batch, *shape), dtype=np.float32)
    ids = rng.integers(0, classes, batch)
    y = np.eye(classes, dtype=np.float32)[ids] if onehot else ids.astype(np.float32)

    # train_on_batch returns the loss as a number, so each step is complete when it returns.
    train_s, cpu_s = time_steps(lambda: model.train_on_batch(x, y), steps, warmup)
    eval_steps = max(3, -(-steps // 2))
    eval_s = time_calls(lambda: model.predict_on_batch(x), eval_steps)
    return result(family, threads, batch, steps, train_s, cpu_s, eval_steps, eval_s,
                  note=f'jit_compile={model.jit_compile}')


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--steps', type=int, default=20)
    p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--families', default=','.join(FAMILIES))
    a = p.parse_args()
    # Before any op runs: TensorFlow sizes its thread pools once. One inter-op thread, as bench_torch.py.
    tf.config.threading.set_intra_op_parallelism_threads(a.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    results = [bench(f, a.threads, a.steps, a.warmup) for f in a.families.split(',')]
    print(json.dumps({'keras': keras.__version__, 'tensorflow': tf.__version__, 'results': results}))


if __name__ == '__main__':
    main()
