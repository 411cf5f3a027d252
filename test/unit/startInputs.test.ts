// What Start Run checks and keeps, outside VS Code: the JSON Schema check of a JSON field (Adlyse's
// input_schema) and the presets (the last values used), which must never hold a secret.
import * as assert from 'node:assert/strict';
import { registerSecret, forgetSecret } from '../../src/core/errors';
import { checkAgainstSchema } from '../../src/core/jsonSchemaCheck';
import { inputFields } from '../../src/providers/adlyse/adlyse';
import type { InputField, PipelineKind } from '../../src/providers/provider';
import { keepable, StartPresets } from '../../src/vscode/startPresets';

class MemoryMemento {
  private readonly values = new Map<string, unknown>();
  keys(): readonly string[] {
    return [...this.values.keys()];
  }
  get<T>(key: string, fallback?: T): T | undefined {
    return (this.values.has(key) ? this.values.get(key) : fallback) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    this.values.set(key, value);
  }
}

describe('Start Run inputs', () => {
  describe('checkAgainstSchema', () => {
    const schema = {
      type: 'object',
      required: ['email', 'ranges'],
      properties: {
        email: { type: 'string' },
        limit: { type: 'integer' },
        channel: { enum: ['google', 'meta'] },
        ranges: { type: 'array', items: { type: 'object', required: ['start'], properties: { start: { type: 'number' } } } },
      },
    };

    it('accepts a value that has what the schema asks', () => {
      assert.equal(checkAgainstSchema({ email: 'a@b.c', limit: 3, channel: 'meta', ranges: [{ start: 1 }] }, schema), undefined);
    });

    it('names the first thing wrong: type, required, enum, an item of a list', () => {
      assert.equal(checkAgainstSchema([], schema), 'The input must be a JSON object, not a list');
      assert.equal(checkAgainstSchema({ email: 'a@b.c' }, schema), 'The input needs "ranges"');
      assert.equal(checkAgainstSchema({ email: 'a@b.c', ranges: [], limit: 2.5 }, schema), '"limit" must be a whole number, not the number 2.5');
      assert.equal(checkAgainstSchema({ email: 'a@b.c', ranges: [], channel: 'tv' }, schema), '"channel" must be one of "google", "meta"');
      assert.equal(checkAgainstSchema({ email: 'a@b.c', ranges: [{ start: '1' }] }, schema), '"start" must be a number, not text "1"');
      assert.equal(checkAgainstSchema({ email: 'a@b.c', ranges: [{}] }, schema), '"ranges", item 1 needs "start"');
    });

    it('ignores what it does not know rather than refusing it', () => {
      assert.equal(checkAgainstSchema({ x: 1 }, { type: 'object', oneOf: [{}], additionalProperties: false }), undefined);
      assert.equal(checkAgainstSchema('anything', undefined), undefined);
    });

    it('Adlyse JSON fields carry their piece of input_schema, so Start Run can check them', () => {
      const fields = inputFields({ type: 'object', properties: { ranges: { type: 'array', items: { type: 'object' } }, name: { type: 'string' } } });
      assert.deepEqual(fields.find(f => f.name === 'ranges')?.schema, { type: 'array', items: { type: 'object' } });
      assert.equal(fields.find(f => f.name === 'name')?.schema, undefined);
      const [single] = inputFields({ type: 'array', items: { type: 'string' } });
      assert.deepEqual(single.schema, { type: 'array', items: { type: 'string' } });
    });
  });

  describe('presets', () => {
    const fields: InputField[] = [
      { name: 'org', label: 'Organisation', type: 'string', required: true },
      { name: 'api_key', label: 'API key', type: 'string', required: true, secret: true },
      { name: 'notes', label: 'Notes', type: 'string', required: false },
    ];
    const kind: PipelineKind = { id: 'leavers', label: 'Find leavers', inputs: fields };

    it('keeps the non-secret values of declared fields only', () => {
      assert.deepEqual(keepable(fields, { org: 'Acme', api_key: 'sk-secret-value', notes: 'x', other: 1 }), { org: 'Acme', notes: 'x' });
    });

    it('never keeps a value that holds a registered secret (a key pasted into the wrong box)', () => {
      registerSecret('sk-live-abcdef123456');
      try {
        assert.deepEqual(keepable(fields, { org: 'Acme', notes: 'key sk-live-abcdef123456' }), { org: 'Acme' });
      } finally {
        forgetSecret('sk-live-abcdef123456');
      }
    });

    it('are kept per provider, account and kind, and forgotten per provider', async () => {
      const memento = new MemoryMemento();
      const presets = new StartPresets(memento as never);
      await presets.remember('automindz', 'leavers', kind, { org: 'Acme', api_key: 'sk-secret-value' });
      await presets.remember('talonic', 'spec_1', { ...kind, id: 'run' }, { org: 'Globex' });
      assert.deepEqual(presets.get('automindz', 'leavers', 'leavers'), { org: 'Acme' });
      assert.equal(presets.get('automindz', 'other', 'leavers'), undefined);
      assert.ok(!JSON.stringify(memento.get('runwatch.startPresets.v1')).includes('sk-secret-value'), 'a secret was stored in globalState');
      await presets.forget('automindz');
      assert.equal(presets.get('automindz', 'leavers', 'leavers'), undefined);
      assert.deepEqual(presets.get('talonic', 'spec_1', 'run'), { org: 'Globex' });
    });
  });
});
