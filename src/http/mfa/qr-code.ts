import QRCode from 'qrcode';

/**
 * The `otpauth://` URI as an SVG QR code. Inline in a page it needs no
 * img-src in the CSP (it is markup, not a fetched image); the API answers the
 * same SVG as a data: URL.
 */
export const qrCodeSvg = (uri: string): Promise<string> => QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });

export const svgDataUrl = (svg: string): string => `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
