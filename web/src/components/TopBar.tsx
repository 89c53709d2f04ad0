// The bar above a page: the drawer button on small screens, a title, actions, model
// status, and (accounts mode) the account menu.

import type { ReactNode } from 'react';
import { AccountMenu } from './account/AccountMenu';
import { Icon } from './Icon';
import { StatusChip } from './StatusChip';

export function TopBar({ title, actions, onMenu }: { title: ReactNode; actions?: ReactNode; onMenu: () => void }) {
  return (
    <header className="topbar">
      <button type="button" className="icon-button menu-button" aria-label="Open conversations" onClick={onMenu}>
        <Icon name="menu" />
      </button>
      <h1 className="topbar-title">{title}</h1>
      <div className="topbar-actions">
        {actions}
        <StatusChip />
        <AccountMenu />
      </div>
    </header>
  );
}
