/** Best-effort clipboard: on a machine without one the caller still prints the text. */
export interface Clipboard {
  /** Resolves to undefined on success, or the reason the copy was skipped. */
  copy(text: string): Promise<string | undefined>;
}

export function systemClipboard(env: NodeJS.ProcessEnv): Clipboard {
  return {
    async copy(text) {
      if (env.DELEGATE_NO_CLIPBOARD) return 'clipboard disabled by DELEGATE_NO_CLIPBOARD';
      if (process.platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) return 'no display, so no clipboard';
      try {
        const { default: clipboardy } = await import('clipboardy');
        await Promise.race([
          clipboardy.write(text),
          new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), 3000).unref()),
        ]);
        return undefined;
      } catch (e) {
        return (e as Error).message.split('\n')[0] || 'clipboard unavailable';
      }
    },
  };
}
