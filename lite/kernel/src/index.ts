// JupyterLite plugin: registers the bn-lab TypeScript kernel under tslab's kernel name, so the
// collection's notebooks open with it, and routes the stop button to the kernel's worker.
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import { IKernelClient, IKernelSpecs, type IKernel } from '@jupyterlite/services';
import type { IPlugin } from '@lumino/coreutils';
import { BnLabKernel, type SiteUrls } from './kernel';

const PLUGIN_ID = 'bn-lab-lite-kernel:plugin';
const PACKAGE = 'bn-lab-lite-kernel';

/** Settings a site may give in jupyter-lite.json under litePluginSettings["bn-lab-lite-kernel:plugin"]. */
interface KernelSettings {
  /** Folder holding tfjs.js, bn-lab.js and danfojs.js (default: bn-lab/modules/ in the site). */
  modulesUrl?: string;
  /** The data folder (default: bn-lab/data/ in the site). */
  dataUrl?: string;
}

function siteUrls(): SiteUrls {
  const settings: KernelSettings = JSON.parse(PageConfig.getOption('litePluginSettings') || '{}')[PLUGIN_ID] ?? {};
  const base = PageConfig.getBaseUrl();
  const folder = (url: string) => new URL(url.endsWith('/') ? url : `${url}/`, base).href;
  const modules = folder(settings.modulesUrl ?? 'bn-lab/modules/');
  return {
    worker: URLExt.join(PageConfig.getOption('fullLabextensionsUrl'), PACKAGE, 'static', 'bn-lab-kernel-worker.js'),
    modules: {
      '@tensorflow/tfjs': `${modules}tfjs.js`,
      'bn-lab': `${modules}bn-lab.js`,
      danfojs: `${modules}danfojs.js`,
    },
    dataUrl: folder(settings.dataUrl ?? 'bn-lab/data/'),
  };
}

const plugin: IPlugin<unknown, void> = {
  id: PLUGIN_ID,
  description: 'The bn-lab TypeScript kernel (TensorFlow.js in a Web Worker)',
  autoStart: true,
  requires: [IKernelSpecs],
  optional: [IKernelClient],
  activate: (_app: unknown, kernelspecs: IKernelSpecs, kernelClient: IKernelClient | null) => {
    const kernels = new Map<string, BnLabKernel>();
    kernelspecs.register({
      spec: {
        name: 'tslab',
        display_name: 'TypeScript',
        language: 'typescript',
        argv: [],
        resources: {},
      },
      create: async (options: IKernel.IOptions) => {
        const kernel = new BnLabKernel(options, siteUrls());
        kernels.set(kernel.id, kernel);
        kernel.disposed.connect(() => {
          if (kernels.get(kernel.id) === kernel) kernels.delete(kernel.id);
        });
        return kernel;
      },
    });
    // JupyterLite's interrupt only cancels queued cells; the running one has to hear it from us.
    if (kernelClient) {
      const interrupt = kernelClient.interrupt.bind(kernelClient);
      kernelClient.interrupt = async (id: string) => {
        kernels.get(id)?.interrupt();
        return interrupt(id);
      };
    }
  },
};

export default [plugin];
