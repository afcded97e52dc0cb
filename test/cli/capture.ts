/** What an admin command writes: stdout and stderr lines, and the io object that collects them. */
export function capture () {
  const out: string[] = []
  const err: string[] = []
  return { out, err, io: { out: (l: string) => { out.push(l) }, err: (l: string) => { err.push(l) } } }
}
