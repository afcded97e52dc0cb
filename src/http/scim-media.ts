export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8'
export const JSON_MEDIA_TYPES = ['application/scim+json', 'application/json'] as const
