// The package's Node entry; ./wasm-kernels alone (browser-safe) is the browser entry.
export { useFastCpu } from './fast-cpu';
export type { FastCpu, FastCpuOptions } from './fast-cpu';
export { registerWasmKernels } from './wasm-kernels';
export type { Conv2DBackpropFilterAttrs } from './wasm-kernels';
export {
  DNNL_ADDON_PATH,
  DNNL_KERNEL_NAMES,
  DNNL_REMEDY,
  dnnlKernelsActive,
  loadDnnl,
  useDnnlKernels,
} from './dnnl-kernels';
export { fusedAdamActive, useFusedAdam } from './fused-adam';
export { chooseThreads, loadWasmModule, runningWasm, startWasm, wantedThreads } from './wasm-threads';
export type { ThreadChoice, WasmStart } from './wasm-threads';
