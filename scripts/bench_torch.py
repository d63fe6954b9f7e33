#!/usr/bin/python3
"""PyTorch reference for scripts/bench.ts: the same architectures (layer order as scripts/reference-models.ts),
batch sizes, Adam 1e-3 and cross-entropy, on random inputs, at a fixed thread count.

Runs under Debian's /usr/bin/python3 (python3-torch) and under .venv/bin/python (PyTorch 2 from
requirements-bench.txt). Prints one JSON object on stdout: {"torch": version, "results": [...]}.
Usage: PYTHON scripts/bench_torch.py --steps 30 --warmup 3 --threads 1,2 [--families a,b]
"""
import argparse
import json

import torch
from torch import nn

from bench_timing import result, time_calls, time_steps

# Keras/tfjs BatchNormalization defaults: momentum 0.99 (torch counts 1 - that), epsilon 1e-3.
def bn2d(c): return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)
def bn1d(c): return nn.BatchNorm1d(c, eps=1e-3, momentum=0.01)


def lenet(conv3_kernel=5, conv3_stride=1):
    # activation-then-BN, as buildLeNet({batchNorm: true}): conv(tanh) -> BN -> avgpool ...
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.Tanh(), bn2d(6), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), bn2d(16), nn.AvgPool2d(2),
        nn.Conv2d(16, 120, conv3_kernel, stride=conv3_stride), nn.Tanh(), bn2d(120),
        nn.Flatten(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))


def small_cnn():
    # buildSmallCifarCnn({batchNorm: true}): conv(relu) -> BN, twice per stage.
    def conv(i, o): return [nn.Conv2d(i, o, 3, padding=1), nn.ReLU(), bn2d(o)]
    return nn.Sequential(*conv(3, 8), *conv(8, 8), nn.MaxPool2d(2), *conv(8, 16), *conv(16, 16), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(1024, 256), nn.ReLU(), bn1d(256), nn.Linear(256, 10))


def vgg_cnn():
    # buildVggCnn({batchNorm: true}): conv -> BN -> ReLU, two per stage, then 2x2 max pool.
    def conv(i, o): return [nn.Conv2d(i, o, 3, padding=1), bn2d(o), nn.ReLU()]
    layers = []
    for i, o in [(3, 32), (32, 64), (64, 128)]:
        layers += conv(i, o) + conv(o, o) + [nn.MaxPool2d(2)]
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(2048, 256), bn1d(256), nn.ReLU(), nn.Linear(256, 10))


def iris_mlp():
    # buildIrisMlp({batchNorm: true}): dense(relu) -> BN for 64-128-128-64-64, then softmax 3.
    layers, prev = [], 4
    for units in [64, 128, 128, 64, 64]:
        layers += [nn.Linear(prev, units), nn.ReLU(), bn1d(units)]
        prev = units
    return nn.Sequential(*layers, nn.Linear(prev, 3))


# family -> (builder, batch, input shape without batch, classes); names match bench.ts.
FAMILIES = {
    'lenet': (lenet, 32, (1, 32, 32), 10),
    'lenet_s5': (lambda: lenet(1, 5), 32, (1, 32, 32), 10),
    'small_cnn': (small_cnn, 256, (3, 32, 32), 10),
    'vgg': (vgg_cnn, 32, (3, 32, 32), 10),
    'iris': (iris_mlp, 32, (4,), 3),
}


def bench(family, threads, steps, warmup):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    build, batch, shape, classes = FAMILIES[family]
    model = build()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()  # tfjs: softmax + (sparse) categorical cross-entropy
    x = torch.randn(batch, *shape)
    y = torch.randint(0, classes, (batch,))

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    model.train()
    train_s, cpu_s = time_steps(step, steps, warmup)
    model.eval()
    eval_steps = max(steps, 5)
    with torch.no_grad():
        eval_s = time_calls(lambda: model(x), eval_steps)
    return result(family, threads, batch, steps, train_s, cpu_s, eval_steps, eval_s)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--steps', type=int, default=30)
    p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--threads', default='1,2')
    p.add_argument('--families', default=','.join(FAMILIES))
    a = p.parse_args()
    torch.set_num_interop_threads(1)
    results = [bench(f, int(t), a.steps, a.warmup)
               for t in a.threads.split(',') for f in a.families.split(',')]
    print(json.dumps({'torch': torch.__version__, 'results': results}))


if __name__ == '__main__':
    main()
