export type { CassandraTls } from "./cassandra-tls-env.js";
export { LOCAL_SERVER_NAMES, type LocalServerName } from "./env-schema.js";
export type { KafkaSasl, KafkaSaslMechanism } from "./kafka-auth-env.js";
export {
  type Config,
  type DbAccount,
  defaultStateDir,
  type Env,
  type HostPort,
  LOCAL_SECRETS_FILE,
  loadConfig,
  parseEnvFile,
  parseHostPort,
  requireSecret,
} from "./load-config.js";
