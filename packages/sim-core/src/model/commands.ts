import { ValidationError } from '../errors';
import { CommandType } from './enums';

/** Remote commands for one shard and tick, as columns (index into the shard's handsets, type). */
export class CommandBatch {
  index: number[] = [];
  type: number[] = [];

  add(index: number, type: number): void {
    this.index.push(index);
    this.type.push(type);
  }

  get length(): number {
    return this.index.length;
  }
}

export const EMPTY_COMMANDS: CommandBatch = Object.freeze(new CommandBatch()) as CommandBatch;

export function commandTypeByName(name: string, path = 'type'): number {
  const code = (CommandType as Record<string, number>)[name];
  if (code === undefined) {
    throw new ValidationError('command', [{ path, rule: 'enum', message: `unknown command type "${name}"; known: ${Object.keys(CommandType).join(', ')}` }]);
  }
  return code;
}
