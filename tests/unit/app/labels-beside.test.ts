/** Label files pair with the model they are named after, and with no other. */
import { describe, expect, it } from 'vitest';
import { labelFileBeside } from '../../../src/app/shared/labels-beside.ts';

const file = (name: string, sha256: string, source = 'import') => ({ name, sha256, source });

describe('labelFileBeside', () => {
  const beside = labelFileBeside([
    file('pets-scratch_labels.txt', 'a1'),
    file('birds.txt', 'b2'),
    file('coco_labels.txt', 'c3', 'catalog'),
    file('pets-scratch.tflite', 'm1'),
  ]);

  it('finds x_labels.txt for x.tflite and for x_edgetpu.tflite', () => {
    expect(beside('pets-scratch.tflite')).toBe('a1');
    expect(beside('pets-scratch_edgetpu.tflite')).toBe('a1');
  });

  it('finds x.txt for x.tflite and x-edgetpu.tflite', () => {
    expect(beside('birds.tflite')).toBe('b2');
    expect(beside('birds-edgetpu.tflite')).toBe('b2');
  });

  it('pairs nothing by a near name or from catalog files', () => {
    expect(beside('pets.tflite')).toBeUndefined();
    expect(beside('coco.tflite')).toBeUndefined();
  });
});
