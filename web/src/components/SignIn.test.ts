import { describe, expect, it } from 'vitest';
import { signInErrorInAddress } from './SignIn';

describe('a failed single sign-on in the address', () => {
  it('says so in our words (never the parameter text) and takes it out of the address', () => {
    window.history.replaceState(null, '', '/s/abc?signin_error=%3Cb%3ECall+us%3C%2Fb%3E&x=1');
    const words = signInErrorInAddress('Test SSO');
    expect(words).toBe('Signing in with Test SSO did not work. Try again, or ask an administrator of this server.');
    expect(window.location.pathname + window.location.search).toBe('/s/abc?x=1');
    expect(signInErrorInAddress('Test SSO')).toBeNull();
  });

  it('nothing to say without it', () => {
    window.history.replaceState(null, '', '/library');
    expect(signInErrorInAddress(null)).toBeNull();
    expect(window.location.pathname).toBe('/library');
  });
});
