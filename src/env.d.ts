/** Injected by Vite's `define` (vite.config.ts) and by the CLI loader: the package version. */
declare const __REEF_VERSION__: string;
