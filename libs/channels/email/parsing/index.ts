export * from './parsed-email';
export * from './email-payload-error';
export * from './parse-raw-email';
export { fromMailgun, fromPostmark, fromSendgrid, type UploadedFile } from './provider-payloads';
export * from './verify-mailgun';
export * from './reply-text';
export {
  classifyEmail,
  isAutoSubmitted,
  type Classification,
  type ClassifyInput,
  type ReportPart,
} from './classify-headers';
export { htmlToText } from './html-to-text';
export { headersFromBlock, headersFromPairs, type HeaderBag } from './email-fields';
