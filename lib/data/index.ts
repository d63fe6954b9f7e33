/**
 * bn-lab's data layer: dataset loaders that find, verify and (if needed) download the public
 * datasets, plus image loading and splitting helpers.
 */
export * from './checksums';
export * from './files';
export { downloadFile } from './download';
export type { DownloadOptions, DownloadProgress } from './download';
export * from './mnist';
export * from './cifar10';
export * from './iris';
export * from './image';
export * from './split';
export * from './dataframe';
