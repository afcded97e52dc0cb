/**
 * Where push delivery may connect. A receiver URL is chosen by an organization's
 * administrator, so without a check it could point the service at its own network
 * (metadata endpoints, databases, admin consoles: server-side request forgery). Unless
 * EVENT_RECEIVERS_ALLOW_PRIVATE is set, receivers must use https and every address their host
 * resolves to must be public; the check runs at registration and again inside each
 * connection's own DNS lookup, so a name that later resolves elsewhere (DNS rebinding) is
 * refused at connect time too.
 */
import dns from 'node:dns'
import net from 'node:net'

const BLOCKED = new net.BlockList()
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4]
] as const) BLOCKED.addSubnet(network, prefix, 'ipv4')
for (const [network, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]
] as const) BLOCKED.addSubnet(network, prefix, 'ipv6')

/** True for loopback, private, link-local, shared, documentation, multicast and reserved addresses. */
export function isNonPublicAddress (address: string): boolean {
  const family = net.isIP(address)
  if (family === 4) return BLOCKED.check(address, 'ipv4')
  if (family !== 6) return true
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped !== null) return isNonPublicAddress(mapped[1] as string)
  return BLOCKED.check(address, 'ipv6')
}

export class ReceiverAddressError extends Error {
  override name = 'ReceiverAddressError'
}

const MAX_URL_LENGTH = 2000

/** Parses and checks a receiver URL (scheme, no credentials, public addresses); returns it normalized. */
export async function checkReceiverUrl (input: string, allowPrivate: boolean): Promise<string> {
  let url: URL
  try {
    url = new URL(input)
  } catch {
    throw new ReceiverAddressError(`${JSON.stringify(input.slice(0, 100))} is not an absolute URL.`)
  }
  if (input.length > MAX_URL_LENGTH) throw new ReceiverAddressError(`A receiver URL has at most ${MAX_URL_LENGTH} characters.`)
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) {
    throw new ReceiverAddressError('A receiver URL must use https (http only where EVENT_RECEIVERS_ALLOW_PRIVATE is set).')
  }
  if (url.username !== '' || url.password !== '') throw new ReceiverAddressError('A receiver URL must not carry credentials.')
  if (url.hash !== '') throw new ReceiverAddressError('A receiver URL must not have a fragment.')
  if (!allowPrivate) {
    const addresses = await resolveAll(url.hostname)
    const refused = addresses.find(isNonPublicAddress)
    if (refused !== undefined) {
      throw new ReceiverAddressError(`${url.hostname} resolves to ${refused}, which is not a public address (set EVENT_RECEIVERS_ALLOW_PRIVATE to allow it).`)
    }
  }
  return url.toString()
}

async function resolveAll (hostname: string): Promise<string[]> {
  const bare = hostname.replace(/^\[|\]$/g, '')
  if (net.isIP(bare) !== 0) return [bare]
  try {
    return (await dns.promises.lookup(bare, { all: true })).map(entry => entry.address)
  } catch {
    throw new ReceiverAddressError(`${hostname} does not resolve.`)
  }
}

/** A `lookup` for http(s).request that refuses non-public addresses (unless allowed). */
export function guardedLookup (allowPrivate: boolean): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error !== null) { callback(error, '', 0); return }
      const list = addresses as dns.LookupAddress[]
      const refused = allowPrivate ? undefined : list.find(entry => isNonPublicAddress(entry.address))
      if (refused !== undefined) {
        callback(Object.assign(new Error(`${hostname} resolved to ${refused.address}, which is not a public address`), { code: 'ENONPUBLIC' }), '', 0)
        return
      }
      if ((options as dns.LookupOptions).all === true) callback(null, list as never, 0)
      else callback(null, list[0]?.address ?? '', list[0]?.family ?? 4)
    })
  }
}
