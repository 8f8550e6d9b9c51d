import { lazyProvider } from "../lazy";

// The whole export is the provider object, so state stores it as a require of this module (see lazyProvider).
export = lazyProvider("secret");
