/** Service-worker life cycle as the page sees it: offline-ready, and a new version waiting. */
import { registerSW } from 'virtual:pwa-register';

export class UpdateState {
  needRefresh = $state(false);
  offlineReady = $state(false);
  #update: ((reload?: boolean) => Promise<void>) | undefined;

  start(): void {
    if (!('serviceWorker' in navigator)) return;
    this.#update = registerSW({
      immediate: true,
      onNeedRefresh: () => (this.needRefresh = true),
      onOfflineReady: () => {
        this.offlineReady = true;
        // A note, not a question: it goes away by itself.
        setTimeout(() => (this.offlineReady = false), 6000);
      },
    });
  }

  /** Activates the waiting service worker (message `skip-waiting`) and reloads into the new version. */
  async apply(): Promise<void> {
    await this.#update?.(true);
  }

  dismiss(): void {
    this.needRefresh = false;
    this.offlineReady = false;
  }
}
