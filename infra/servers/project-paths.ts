import path from "node:path";
import { fileURLToPath } from "node:url";

/** Folder of the checked-in server definitions (poms, config templates). */
export const SERVERS_DIR = path.dirname(fileURLToPath(import.meta.url));
export const PROJECT_ROOT = path.resolve(SERVERS_DIR, "..", "..");
