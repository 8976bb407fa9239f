/** The values the command line's enumerated options accept. */
export const FORMATS = ['text', 'json', 'sarif', 'html'] as const;
export const COREML_FORMATS = ['mlprogram', 'neuralnetwork'] as const;
export const TARGETS = ['ane', 'coreml-ep'] as const;
