import { SendersReadTheirOwn1796217000000 } from './1796217000000-SendersReadTheirOwn.js';
import { SyncChanges1796215835133 } from './1796215835133-SyncChanges.js';
import { Notifications1796205960162 } from './1796205960162-Notifications.js';
import { LighterMessageWrites1795629864268 } from './1795629864268-LighterMessageWrites.js';
import { HostIntegration1795329474065 } from './1795329474065-HostIntegration.js';
import { Updates1795328988790 } from './1795328988790-Updates.js';
import { Apps1795328538589 } from './1795328538589-Apps.js';
import { GroupsAndOrgs1795328251945 } from './1795328251945-GroupsAndOrgs.js';
import { Messaging1795327940695 } from './1795327940695-Messaging.js';
import { Initial1795325574115 } from './1795325574115-Initial.js';
/** Every committed migration, oldest first. `npm run migration:generate -- <Name>` appends here. */
export const MIGRATIONS: (new () => object)[] = [
  Initial1795325574115,
  Messaging1795327940695,
  GroupsAndOrgs1795328251945,
  Apps1795328538589,
  Updates1795328988790,
  HostIntegration1795329474065,
  LighterMessageWrites1795629864268,
  Notifications1796205960162,
  SyncChanges1796215835133,
  SendersReadTheirOwn1796217000000,
];
