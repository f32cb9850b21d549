"""Reference Adam trajectories for optim's tests, computed with numpy in float32.

Written from the update rule as stated in TensorFlow's documentation of
tf.compat.v1.train.AdamOptimizer and in Kingma & Ba (2015), section 2
("epsilon hat" form), not from the Go code:

    lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t)
    m_t  = beta1 * m_{t-1} + (1 - beta1) * g
    v_t  = beta2 * v_{t-1} + (1 - beta2) * g * g
    x_t  = x_{t-1} - lr_t * m_t / (sqrt(v_t) + epsilon)

x, m, v, g, beta1, beta2 and epsilon are float32 and all array arithmetic is
float32; lr_t is computed with Python floats (float64) and rounded once to
float32. The gradient of each test problem is computed in float64 from the
float32 point and rounded to float32; the value is kept in float64.

Each case records x_0 ... x_T and f(x_0) ... f(x_T).

Run:  PY=$(tools/golden-venv.sh) && "$PY" optim/testdata/adam_reference.py
It writes optim/testdata/adam_reference.json next to itself.
"""

import json
import math
import os

import numpy as np

F32 = np.float32


def rosenbrock(x32):
    """Chained Rosenbrock: sum 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2."""
    x = x32.astype(np.float64)
    a, b = x[:-1], x[1:]
    f = float(np.sum(100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2))
    g = np.zeros_like(x)
    g[:-1] += -400.0 * a * (b - a * a) - 2.0 * (1.0 - a)
    g[1:] += 200.0 * (b - a * a)
    return f, g.astype(F32)


def diag_quadratic(a, c):
    """f(x) = 1/2 sum a_i (x_i - c_i)^2."""
    a = np.asarray(a, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)

    def fn(x32):
        d = x32.astype(np.float64) - c
        return float(0.5 * np.sum(a * d * d)), (a * d).astype(F32)

    return fn


def adam(fn, x0, steps, lr, beta1, beta2, epsilon):
    b1, b2, eps = F32(beta1), F32(beta2), F32(epsilon)
    one = F32(1)
    x = np.asarray(x0, dtype=F32).copy()
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    xs, fs = [x.copy()], []
    f, g = fn(x)
    fs.append(f)
    for t in range(1, steps + 1):
        lr_t = F32(lr * math.sqrt(1.0 - beta2**t) / (1.0 - beta1**t))
        m = b1 * m + (one - b1) * g
        v = b2 * v + (one - b2) * (g * g)
        x = x - lr_t * m / (np.sqrt(v) + eps)
        assert x.dtype == F32 and m.dtype == F32 and v.dtype == F32
        f, g = fn(x)
        xs.append(x.copy())
        fs.append(f)
    return xs, fs


def case(name, problem, fn, x0, steps, lr, beta1=0.9, beta2=0.999, epsilon=1e-8):
    x0 = [float(F32(v)) for v in x0]
    xs, fs = adam(fn, x0, steps, lr, beta1, beta2, epsilon)
    return {
        "name": name,
        "problem": problem,
        "learning_rate": lr,
        "beta1": beta1,
        "beta2": beta2,
        "epsilon": epsilon,
        "steps": steps,
        # float32 values widened to float64: they print exactly and round-trip.
        "x": [[float(v) for v in x] for x in xs],
        "f": fs,
    }


def main():
    rng = np.random.default_rng(20240604)
    cases = [
        case("rosenbrock2", {"kind": "rosenbrock"}, rosenbrock, [-1.2, 1.0], 500, 0.01),
    ]
    # The TensorFlow style-transfer tutorial's settings: beta1 0.99, epsilon 0.1.
    a, c = [1.0, 4.0, 9.0, 16.0], [0.5, -0.25, 1.5, -1.0]
    cases.append(case("quadratic4_tutorial", {"kind": "diagquad", "a": a, "c": c},
                      diag_quadratic(a, c), [3.0, -2.0, 1.0, 0.5], 200, 0.5,
                      beta1=0.99, epsilon=0.1))
    n = 64
    a = [float(v) for v in np.exp(rng.uniform(math.log(0.1), math.log(10.0), n))]
    c = [float(v) for v in rng.uniform(-2.0, 2.0, n)]
    x0 = [float(v) for v in rng.uniform(-3.0, 3.0, n)]
    cases.append(case("quadratic64", {"kind": "diagquad", "a": a, "c": c},
                      diag_quadratic(a, c), x0, 100, 0.05))
    out = {
        "generator": "optim/testdata/adam_reference.py",
        "numpy": np.__version__,
        "cases": cases,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "adam_reference.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
