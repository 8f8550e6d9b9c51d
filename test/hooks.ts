import { stopPostgres } from "../harness/postgres";

// Root hooks: one PostgreSQL cluster serves the whole run and stops at its end.
export const mochaHooks = {
  afterAll() {
    stopPostgres();
  },
};
