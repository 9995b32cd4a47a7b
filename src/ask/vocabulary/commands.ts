// Commands: the imperatives that block or unblock, and the polite words before them.

export const BLOCK_VERBS = ['bloquea', 'bloquear', 'bloquee', 'bloqueen', 'bloqueame', 'banea', 'banear', 'banee', 'veta', 'vetar',
  'block', 'ban', 'blacklist', 'deny'];
export const UNBLOCK_VERBS = ['desbloquea', 'desbloquear', 'desbloquee', 'desbloqueen', 'desbanea', 'desbanear',
  'levanta el bloqueo de', 'levanta el bloqueo a', 'quita el bloqueo de', 'quita el bloqueo a', 'unblock', 'unban',
  'lift the ban on', 'remove the ban on'];
export const POLITE_WORDS = ['por favor', 'please', 'puedes', 'podrias', 'can you', 'could you', 'would you', 'quiero',
  'quisiera', 'i want to', 'i would like to', 'necesito', 'hay que', 'tienes que', 'you should', 'go ahead and'];
