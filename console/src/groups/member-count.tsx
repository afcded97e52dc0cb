import type { ScimClient } from '../api/scim-client.js'
import { useAsync } from '../components/use-async.js'

/** A group's member count, read for the visible rows only (a zero-size page's total). */
export function MemberCount (props: { readonly client: ScimClient, readonly groupId: string }) {
  const count = useAsync(async () => await props.client.countMembers(props.groupId), [props.groupId])
  if (count.status === 'done') return <>{count.value.toLocaleString('en-US')}</>
  if (count.status === 'failed') return <span class='muted' title='The count could not be read'>unknown</span>
  return <span class='muted' aria-label='counting'>…</span>
}
