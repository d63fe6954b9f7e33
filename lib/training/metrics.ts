import * as tf from '@tensorflow/tfjs';

/**
 * What seed 000's `metrics.categorical_accuracy` really measures on integer labels: it takes the
 * argmax of a one-column label (always 0), so it is the share of predictions equal to class 0,
 * not accuracy. Computed here to show the pitfall next to the right metric.
 */
export function categoricalAccuracyOnIntegerLabels(model: tf.LayersModel, x: tf.Tensor, labels: tf.Tensor, batchSize = 256): number {
  return tf.tidy(() => {
    const probs = model.predict(x, { batchSize }) as tf.Tensor;
    const asColumn = labels.reshape([-1, 1]);
    return tf.metrics.categoricalAccuracy(asColumn, probs).mean().dataSync()[0];
  });
}

/** Plain accuracy of integer labels against predicted classes. */
export function sparseAccuracy(model: tf.LayersModel, x: tf.Tensor, labels: tf.Tensor, batchSize = 256): number {
  return tf.tidy(() => {
    const probs = model.predict(x, { batchSize }) as tf.Tensor;
    return probs.argMax(-1).equal(labels.cast('int32')).mean().dataSync()[0];
  });
}
