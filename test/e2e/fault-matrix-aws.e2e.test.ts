import { defineFaultMatrix } from '../helpers/fault-matrix.js';

/** The fault matrix over every AWS operation (test/helpers/fault-matrix.ts says what each case must be). */
defineFaultMatrix('aws');
