import { AttachCheckedHandler } from './attach-checked.handler';
import { CloseWindowHandler, type Now } from './close-window.handler';
import { DetachRetractedHandler } from './detach-retracted.handler';
import { QueueNames, type JobData, type JobHandler, type JobOutcome, type QueueName } from './job-kinds';
import { MatchPledgeHandler } from './match-pledge.handler';
import { MatchReportHandler } from './match-report.handler';
import { RematchRevisedHandler } from './rematch-revised.handler';
import type { VerificationPorts } from './ports';
import type { WorkflowOptions } from './workflow';

/**
 * The verification work behind every queue: one handler per kind of job. BullMQ workers and the
 * in-process runner alike call `run` (through the app's job runner, which may instrument it).
 */
export class VerificationHandlers {
  private readonly handlers: Record<QueueName, JobHandler>;
  /** verdict-v2: closes a pledge's window (queue window-close, moved by the window scheduler). */
  readonly closeWindow: CloseWindowHandler;

  constructor(ports: VerificationPorts, options: WorkflowOptions = {}, now?: Now) {
    this.closeWindow = new CloseWindowHandler(ports, options, now);
    this.handlers = {
      [QueueNames.attach]: new AttachCheckedHandler(ports, options),
      [QueueNames.matchReport]: new MatchReportHandler(ports, options),
      [QueueNames.matchPledge]: new MatchPledgeHandler(ports, options),
      [QueueNames.detach]: new DetachRetractedHandler(ports, options),
      [QueueNames.rematch]: new RematchRevisedHandler(ports, options),
    };
  }

  run(queue: QueueName, data: JobData): Promise<JobOutcome> {
    const handler = this.handlers[queue];
    if (!handler) return Promise.reject(new Error(`no verification handler for queue ${queue}`));
    return handler.handle(data);
  }
}
