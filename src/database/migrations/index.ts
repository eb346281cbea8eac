import { InitialSchema1764115200000 } from './1764115200000-InitialSchema';

/** Every migration this build knows, oldest first. A database with others is newer than us. */
export const MIGRATIONS = [InitialSchema1764115200000];
