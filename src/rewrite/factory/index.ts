import type { Model } from '../../ir/model.js';
import { MilFactory } from './mil.js';
import { OnnxFactory } from './onnx.js';
import type { OpFactory } from './types.js';

export type { BinaryKind, Emitter, OpFactory, UnaryKind } from './types.js';

/** The op factory for a model's format, or the reason graphlint does not rewrite it. */
export function factoryFor(model: Model): OpFactory | string {
  if (model.format === 'onnx') return new OnnxFactory(model);
  const type = model.info.get('modelType');
  if (type === 'mlProgram') return new MilFactory(model);
  if (typeof type === 'string' && type.startsWith('neuralNetwork')) {
    return 'NeuralNetwork models are not rewritten (convert the model to an ML Program to fix it)';
  }
  return `${String(type ?? 'this kind of')} models are not rewritten`;
}
