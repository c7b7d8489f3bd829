import { BaseCommand } from '../cli/base.js';

export default class Demo extends BaseCommand {
  static override summary = 'Run the end-to-end demo on embedded defaults (what `npm start` runs).';

  async run(): Promise<void> {
    this.log('zonectl demo');
  }
}
