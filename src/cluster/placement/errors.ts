import { AutoimmuneError } from '../../errors.ts';

/** The desired actors, the nodes or the placement options cannot be placed as given. */
export class PlacementInputError extends AutoimmuneError {
  constructor(message: string) {
    super('AI_ERR_PLACEMENT_INPUT', message);
  }
}
