/** Gives back what was taken (a rate-limit point, a unit of quota) for work that then did not happen. */
export type Refund = () => Promise<void>;

export const nothingToRefund: Refund = () => Promise.resolve();
