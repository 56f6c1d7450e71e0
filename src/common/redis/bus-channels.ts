/**
 * Every channel of the cluster bus with the payload it carries. Each module adds its own channels
 * by augmenting this interface next to the code that publishes them:
 *
 * ```ts
 * declare module '../common/redis/bus-channels.js' {
 *   interface BusChannels { delivery: DeliveryBatch }
 * }
 * ```
 *
 * `ClusterBus.publish` and `ClusterBus.subscribe` accept only these names, each with its payload
 * type, so a channel and its payload cannot drift apart.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface BusChannels {}

export type BusChannel = keyof BusChannels;
