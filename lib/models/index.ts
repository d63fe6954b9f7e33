/** Model builders for the seeds' architectures, each with a `batchNorm` option. */
export * from './lenet';
export * from './cifar';
export * from './mlp';
export { SeedStream } from './seeds';
