import { Resvg } from '@resvg/resvg-js';

/**
 * Rasterizes an SVG document to PNG with resvg (prebuilt native binaries from npm, no browser).
 * Text uses the system's fonts (sans-serif falls back to the first installed one); on a machine
 * without fonts the PNG has no text, the SVG is the reference. `scale` 2 makes print resolution.
 */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
    background: 'white',
  });
  return resvg.render().asPng();
}
