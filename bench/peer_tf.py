"""Peer (b) of the comparison harness: the objective in TensorFlow 2 Python.

The tutorial's algorithm as a TF2 user writes it: the network with constant
weights, the targets computed once, the image a tf.Variable, one
tf.function that returns the loss and the gradient (GradientTape). Adam is
Keras' (lr 1, ε 1e-8) applied inside the tf.function; L-BFGS is SciPy's
fmin_l_bfgs_b driving the tf.function, as cysmith/neural-style-tf does
(ScipyOptimizerInterface, L-BFGS-B, maxiter).

  python peer_tf.py --size 512 --iters 5 --opt adam --threads 2

Prints one JSON line (see common.emit). The iteration timeline matches the
library's: one evaluation at the start, then per iteration a step and an
evaluation at the new point.
"""

import time

import numpy as np

import common


def main():
    a = common.parse_args("TF 2.18 Python peer of the neuralstyle benchmark")

    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(a.threads)
    tf.config.threading.set_inter_op_parallelism_threads(a.inter)

    layers, hwio, mean = common.network(a)
    ws = [(tf.constant(k), tf.constant(b)) for k, b in hwio]
    start = time.perf_counter()  # the library and the weights are loaded, as in gobench

    def net(x):
        out = {}
        for name, kind, conv in layers:
            if kind == "conv":
                k, b = ws[conv]
                x = tf.nn.conv2d(x, k, strides=1, padding="SAME") + b
            elif kind == "relu":
                x = tf.nn.relu(x)
            elif a.pooling == "max":
                x = tf.nn.max_pool2d(x, 2, 2, padding="SAME")
            else:
                x = tf.nn.avg_pool2d(x, 2, 2, padding="SAME")
            out[name] = x
        return out

    def mean_gram(f):
        n = f.shape[-1]
        flat = tf.reshape(f, [-1, n])
        return tf.matmul(flat, flat, transpose_a=True) / tf.cast(tf.shape(flat)[0], tf.float32)

    content_np, style_np = common.real_images(a, mean)
    feats_c = tf.function(net)(tf.constant(content_np))
    p_content = tf.constant(feats_c[common.CONTENT_LAYER])
    feats_s = tf.function(net)(tf.constant(style_np))
    g_style = [tf.constant(mean_gram(feats_s[l])) for l in common.STYLE_LAYERS]

    def loss_fn(x):
        f = net(x)
        fc = f[common.CONTENT_LAYER]
        n, m = fc.shape[-1], fc.shape[1] * fc.shape[2]
        content = tf.reduce_sum(tf.square(fc - p_content)) / (2.0 * np.sqrt(n) * np.sqrt(m))
        style = 0.0
        for l, g in zip(common.STYLE_LAYERS, g_style):
            n = f[l].shape[-1]
            style += common.LAYER_WEIGHT * tf.reduce_sum(tf.square(mean_gram(f[l]) - g)) / (4.0 * n * n)
        tv = tf.reduce_sum(tf.image.total_variation(x))
        return common.CONTENT_WEIGHT * content + common.STYLE_WEIGHT * style + common.TV_WEIGHT * tv

    img = tf.Variable(content_np)
    ends, losses = [], []

    if a.opt == "adam":
        opt = tf.keras.optimizers.Adam(learning_rate=1.0, beta_1=0.9, beta_2=0.999, epsilon=1e-8)

        @tf.function
        def evaluate():
            with tf.GradientTape() as tape:
                loss = loss_fn(img)
            return loss, tape.gradient(loss, img)

        @tf.function
        def step_and_evaluate(grad):
            opt.apply_gradients([(grad, img)])
            return evaluate()

        loss, grad = evaluate()
        for _ in range(a.iters):
            loss, grad = step_and_evaluate(grad)
            losses.append(float(loss))
            ends.append(time.perf_counter() - start)
        evals = a.iters + 1
    else:
        from scipy.optimize import fmin_l_bfgs_b

        @tf.function
        def loss_and_grad(x):
            img.assign(x)
            with tf.GradientTape() as tape:
                loss = loss_fn(img)
            return loss, tape.gradient(loss, img)

        shape = content_np.shape
        count = [0]
        last = [0.0]

        def f(x):
            count[0] += 1
            loss, grad = loss_and_grad(tf.constant(x.reshape(shape).astype(np.float32)))
            last[0] = float(loss)
            return float(loss), grad.numpy().astype(np.float64).ravel()

        def callback(_):
            losses.append(last[0])
            ends.append(time.perf_counter() - start)

        fmin_l_bfgs_b(f, content_np.astype(np.float64).ravel(), maxiter=a.iters, m=10,
                      factr=0, pgtol=0, callback=callback)
        evals = count[0]

    if a.out:
        common.save_image(a.out, img.numpy(), mean)
    common.emit("tf", a.size, a.opt, len(ends), evals, ends, losses, a.threads)


if __name__ == "__main__":
    main()
