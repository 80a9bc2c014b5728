// Pool keys of the delivery transports: one per integration, and one per sender identity on it.
export function integrationTransportKey(integrationId: string): string {
  return `smtp:${integrationId}`;
}

export function senderTransportKey(integrationId: string, senderId: string): string {
  return `smtp:${integrationId}:sender:${senderId}`;
}
