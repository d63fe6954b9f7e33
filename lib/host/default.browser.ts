import * as danfojs from 'danfojs/dist/danfojs-browser/src';
import { registerWasmKernels } from '../backend/wasm-kernels';
import { browserHost, provideDanfo } from './browser';

// The browser bundle's default host (scripts/build-browser.ts swaps it in for default.ts). danfojs
// resolves to danfojs.js beside the bundle, which shares bn-lab's tfjs.
provideDanfo(danfojs);
// Stock tfjs wasm has no Conv2DBackpropFilter, so conv nets could not train there; bn-lab's wasm
// kernels (pure tfjs, shared with Node) add it. tfjs.js has registered the wasm backend by now.
registerWasmKernels();

export { browserHost as defaultHost };
