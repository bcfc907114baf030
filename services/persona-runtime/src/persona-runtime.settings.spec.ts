import { RunSecrets } from '@duet/service-kit';
import { Persona } from '@duet/sim-core';
import { describe, expect, it } from 'vitest';
import { PersonaRuntimeSettings } from './persona-runtime.settings';

describe('the enrollment token a persona runtime presents', () => {
  const secrets = new RunSecrets(RunSecrets.generateKey());
  const sealed = secrets.seal('run-1', 'the-token');

  it('is the sealed one opened with the run-secrets key', () => {
    expect(new PersonaRuntimeSettings(Persona.BUSINESS, 'spec', 30, secrets).enrollmentToken('run-1', sealed)).toBe('the-token');
  });

  it('is the carried one when it is not sealed (the in-process bus)', () => {
    expect(new PersonaRuntimeSettings(Persona.BUSINESS, 'spec', undefined).enrollmentToken('run-1', 'plain')).toBe('plain');
  });

  it('cannot be had without the key, or for another run', () => {
    expect(() => new PersonaRuntimeSettings(Persona.BUSINESS, 'spec', 30).enrollmentToken('run-1', sealed)).toThrow(/RUN_SECRETS_KEY/);
    expect(() => new PersonaRuntimeSettings(Persona.BUSINESS, 'spec', 30, secrets).enrollmentToken('run-2', sealed)).toThrow();
  });
});
