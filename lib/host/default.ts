// The host used unless setHost installs another: Node's. The browser build resolves this module to
// default.browser.ts instead (scripts/build-browser.ts), so Node code never enters the bundle.
export { nodeHost as defaultHost } from './node';
