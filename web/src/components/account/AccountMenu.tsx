// The signed-in user's menu in the top bar (accounts mode): their name, their settings,
// API keys and usage, the admin page for admins, and Sign out.

import { useEffect, useRef, useState } from 'react';
import { navigate } from '../../router';
import { account, nameOf, useAccount } from '../../state/account';
import { Icon } from '../Icon';
import { KeysDialog } from './KeysDialog';
import { SettingsDialog } from './SettingsDialog';
import { UsageDialog } from './UsageDialog';

type Open = 'settings' | 'keys' | 'usage' | null;

export function AccountMenu() {
  const { me } = useAccount();
  const [menu, setMenu] = useState(false);
  const [dialog, setDialog] = useState<Open>(null);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!menu) return undefined;
    const close = (event: MouseEvent | KeyboardEvent): void => {
      if (event instanceof KeyboardEvent ? event.key === 'Escape' : !box.current?.contains(event.target as Node)) setMenu(false);
    };
    document.addEventListener('mousedown', close);
    document.addEventListener('keydown', close);
    return () => {
      document.removeEventListener('mousedown', close);
      document.removeEventListener('keydown', close);
    };
  }, [menu]);

  if (!me?.user) return null;
  const name = nameOf(me.user);
  const open = (which: Open): void => {
    setMenu(false);
    setDialog(which);
  };

  return (
    <div className="menu account-menu" ref={box}>
      <button
        type="button"
        className="button ghost small account-button"
        aria-haspopup="menu"
        aria-expanded={menu}
        aria-label={`Account: ${name}`}
        onClick={() => setMenu((m) => !m)}
      >
        <span className="account-initial" aria-hidden="true">
          {name.slice(0, 1).toUpperCase()}
        </span>
        <span className="account-name hide-narrow">{name}</span>
      </button>
      {menu && (
        <div className="popover menu-list" role="menu">
          <div className="menu-head">
            <strong>{name}</strong>
            {me.user.display_name.trim() && <span className="muted">{me.user.username}</span>}
            {me.admin && <span className="badge">admin</span>}
          </div>
          <button type="button" role="menuitem" className="menu-item" autoFocus onClick={() => open('settings')}>
            Settings
          </button>
          <button type="button" role="menuitem" className="menu-item" onClick={() => open('keys')}>
            API keys
          </button>
          <button type="button" role="menuitem" className="menu-item" onClick={() => open('usage')}>
            Usage
          </button>
          {me.admin && (
            <button
              type="button"
              role="menuitem"
              className="menu-item"
              onClick={() => {
                setMenu(false);
                navigate({ page: 'admin' });
              }}
            >
              Admin
            </button>
          )}
          <button type="button" role="menuitem" className="menu-item" onClick={() => void account.signOut()}>
            <Icon name="logout" size={15} /> Sign out
          </button>
        </div>
      )}
      {dialog === 'settings' && <SettingsDialog onClose={() => setDialog(null)} />}
      {dialog === 'keys' && <KeysDialog onClose={() => setDialog(null)} />}
      {dialog === 'usage' && <UsageDialog onClose={() => setDialog(null)} />}
    </div>
  );
}
