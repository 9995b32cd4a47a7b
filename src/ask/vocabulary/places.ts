// Places: the words before an address that make it a source or a target, and the words that
// point at a place (an unknown word after them is an unknown place).

/** Words before an address that make it the source, or the target. */
export const SOURCE_ROLE_WORDS = ['desde', 'de', 'del', 'from', 'by', 'por', 'source', 'origen', 'fuente', 'originados en',
  'procedentes de', 'coming from', 'originating from', 'hechos por', 'made by'];
export const TARGET_ROLE_WORDS = ['contra', 'a', 'al', 'hacia', 'sobre', 'en', 'to', 'against', 'toward', 'towards', 'target',
  'destino', 'objetivo', 'on', 'in', 'into', 'atacando', 'atacan', 'atacaron', 'attacking', 'targeting', 'targeted', 'hit'];
/** Nouns before an address: the ones that name a machine of ours make it a target. */
export const ADDRESS_NOUNS = ['ip', 'la ip', 'direccion', 'la direccion', 'direccion ip', 'address', 'the address', 'ip address',
  'the ip', 'red', 'la red', 'subred', 'network', 'the network', 'subnet', 'rango', 'range', 'bloque', 'host', 'el host', 'the host'];
export const TARGET_NOUNS = ['servidor', 'el servidor', 'server', 'the server', 'maquina', 'la maquina', 'machine', 'the machine'];

/** Words that point at a place: an unknown word after them is an unknown place. */
export const PLACE_WORDS = ['desde', 'de', 'del', 'en', 'from', 'in', 'of'];
