import { describe, expect, it } from 'vitest';
import { ReefError } from '../../../src/lib/errors.ts';
import {
  chooseDevice,
  ParameterResidency,
  type DeviceSlot,
  type PlacedModel,
} from '../../../src/lib/edgetpu/devices/placement.ts';

// Tokens of the real fixtures (MODELS.md): the co-compiled pair shares one.
const m = (name: string, cachingToken: string | null): PlacedModel => ({ key: name, name, cachingToken });
const mnv1 = m('mobilenet_v1_0.25_128', '7860026270054507660');
const extractor = m('embedding_extractor', '8305766144342453066');
const deeplab = m('deeplab', '3933219329259043533');
const movenet = m('movenet', '9508110473025251570');
const co025 = m('co_0.25_128', '16340017111409818219');
const co05 = m('co_0.5_160', '16340017111409818219');

function place(devices: DeviceSlot[], model: PlacedModel, request?: string): string {
  const d = chooseDevice(model, request, devices).deviceId;
  const slot = devices.find((x) => x.id === d)!;
  slot.models = [...slot.models, model];
  return d;
}
const tpus = (n: number): DeviceSlot[] => Array.from({ length: n }, (_, i) => ({ id: `usb:${i}`, models: [] }));

describe('chooseDevice', () => {
  it('gives each model its own TPU while free ones remain', () => {
    const devices = tpus(3);
    expect([place(devices, mnv1), place(devices, extractor), place(devices, deeplab)]).toEqual([
      'usb:0',
      'usb:1',
      'usb:2',
    ]);
  });

  it('refuses a 4th model without a device, explaining the choices', () => {
    const devices = tpus(3);
    for (const x of [mnv1, extractor, deeplab]) place(devices, x);
    let error: unknown;
    try {
      chooseDevice(movenet, undefined, devices);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ReefError);
    expect((error as ReefError).reason).toBe('no-free-tpu');
    expect((error as ReefError).message).toContain('usb:0: mobilenet_v1_0.25_128');
    expect((error as ReefError).message).toContain('explicit device');
    expect((error as ReefError).message).toContain('plug in another Coral');
  });

  it('accepts the 4th model on an explicit device and says it swaps with what is there', () => {
    const devices = tpus(3);
    for (const x of [mnv1, extractor, deeplab]) place(devices, x);
    expect(chooseDevice(movenet, 'usb:1', devices)).toEqual({
      deviceId: 'usb:1',
      sharesCacheWith: [],
      swapsWith: ['embedding_extractor'],
    });
    expect(chooseDevice(movenet, 'usb', devices).deviceId).toBe('usb:0');
  });

  it('puts co-compiled models on one TPU even when others are free', () => {
    const devices = tpus(2);
    expect(place(devices, co025)).toBe('usb:0');
    expect(chooseDevice(co05, undefined, devices)).toEqual({
      deviceId: 'usb:0',
      sharesCacheWith: ['co_0.25_128'],
      swapsWith: [],
    });
  });

  it('names unknown and malformed devices, and the no-TPU case', () => {
    expect(() => chooseDevice(mnv1, 'usb:7', tpus(2))).toThrow(/no Edge TPU "usb:7"; connected: usb:0, usb:1/);
    expect(() => chooseDevice(mnv1, 'pci:0', tpus(2))).toThrow(/not a device id/);
    try {
      chooseDevice(mnv1, undefined, []);
    } catch (e) {
      expect((e as ReefError).code).toBe('UNAVAILABLE');
    }
  });
});

describe('ParameterResidency', () => {
  it('uploads each co-compiled model once, then alternates them 100 times with 0 swaps', () => {
    const tpu = new ParameterResidency();
    for (let i = 0; i < 100; i++) tpu.beforeRun(i % 2 ? co05 : co025);
    expect(tpu.swaps).toBe(0);
    expect(tpu.uploads).toBe(2);
  });

  it('counts a swap every time two unrelated models alternate', () => {
    const tpu = new ParameterResidency();
    const uploads = [mnv1, mnv1, movenet, mnv1, movenet].map((x) => tpu.beforeRun(x));
    expect(uploads).toEqual([true, false, true, true, true]);
    expect(tpu.swaps).toBe(2);
    tpu.clear();
    expect(tpu.beforeRun(movenet)).toBe(true);
    expect(tpu.swaps).toBe(2);
  });

  it('a stand-alone executable uploads nothing but evicts what was cached', () => {
    const tpu = new ParameterResidency();
    tpu.beforeRun(mnv1);
    expect(tpu.beforeRun(m('testconv1', null))).toBe(false);
    expect(tpu.residentToken).toBeNull();
    expect(tpu.beforeRun(mnv1)).toBe(true);
    expect(tpu.swaps).toBe(1);
  });
});
