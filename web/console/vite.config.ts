// Vite's build of the console. The gateway serves it under /console/; the devhost runs `vite build` here
// with its own --outDir, so nothing in this file names an absolute path.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: { outDir: 'dist', sourcemap: false },
});
