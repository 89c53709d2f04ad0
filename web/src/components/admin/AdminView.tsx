// Admin page (/admin, accounts mode): users, groups, usage and quotas, the audit trail. Only admins reach it;
// the server refuses everyone else anyway (403), which this page says rather than hides.

import { useState } from 'react';
import { useAccount } from '../../state/account';
import { TopBar } from '../TopBar';
import { AuditPanel } from './AuditPanel';
import { GroupsPanel } from './GroupsPanel';
import { UsagePanel } from './UsagePanel';
import { UsersPanel } from './UsersPanel';

const TABS = [
  { id: 'users', label: 'Users' },
  { id: 'groups', label: 'Groups' },
  { id: 'usage', label: 'Usage and quotas' },
  { id: 'audit', label: 'Audit trail' },
] as const;

type Tab = (typeof TABS)[number]['id'];

export function AdminView({ onMenu }: { onMenu: () => void }) {
  const { me } = useAccount();
  const [tab, setTab] = useState<Tab>('users');

  return (
    <>
      <TopBar title="Admin" onMenu={onMenu} />
      <div className="page-scroll">
        <div className="library admin">
          {!me?.admin ? (
            <p className="muted">Only administrators manage this server.</p>
          ) : (
            <>
              <div className="tabs" role="tablist" aria-label="Admin">
                {TABS.map((t) => (
                  <button
                    key={t.id}
                    type="button"
                    role="tab"
                    id={`tab-${t.id}`}
                    aria-selected={tab === t.id}
                    aria-controls={`panel-${t.id}`}
                    className={`tab${tab === t.id ? ' active' : ''}`}
                    onClick={() => setTab(t.id)}
                  >
                    {t.label}
                  </button>
                ))}
              </div>
              <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
                {tab === 'users' && <UsersPanel />}
                {tab === 'groups' && <GroupsPanel />}
                {tab === 'usage' && <UsagePanel />}
                {tab === 'audit' && <AuditPanel />}
              </div>
            </>
          )}
        </div>
      </div>
    </>
  );
}
