/** Light, dark, or the system's choice; saved per browser (see static/theme.js). */
export type ThemeChoice = 'system' | 'light' | 'dark';

const KEY = 'pulsar-theme';

function systemDark(): boolean {
	return window.matchMedia('(prefers-color-scheme: dark)').matches;
}

class Theme {
	choice = $state<ThemeChoice>('system');

	init(): void {
		const saved = localStorage.getItem(KEY);
		this.choice = saved === 'light' || saved === 'dark' ? saved : 'system';
		window
			.matchMedia('(prefers-color-scheme: dark)')
			.addEventListener('change', () => this.apply());
		this.apply();
	}

	set(choice: ThemeChoice): void {
		this.choice = choice;
		if (choice === 'system') localStorage.removeItem(KEY);
		else localStorage.setItem(KEY, choice);
		this.apply();
	}

	/** The next choice in system → light → dark. */
	cycle(): void {
		this.set(this.choice === 'system' ? 'light' : this.choice === 'light' ? 'dark' : 'system');
	}

	private apply(): void {
		const dark = this.choice === 'dark' || (this.choice === 'system' && systemDark());
		document.documentElement.classList.toggle('dark', dark);
	}
}

export const theme = new Theme();
