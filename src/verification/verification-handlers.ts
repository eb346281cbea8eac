import { AttachCheckedHandler } from './attach-checked.handler';
import { DetachRetractedHandler } from './detach-retracted.handler';
import { QueueNames, type JobData, type JobHandler, type JobOutcome, type QueueName } from './job-kinds';
import { MatchPledgeHandler } from './match-pledge.handler';
import { MatchReportHandler } from './match-report.handler';
import type { VerificationPorts } from './ports';
import type { WorkflowOptions } from './workflow';

/**
 * The verification work behind every queue: one handler per kind of job. BullMQ workers and the
 * in-process runner alike call `run` (through the app's job runner, which may instrument it).
 */
export class VerificationHandlers {
  private readonly handlers: Record<QueueName, JobHandler>;

  constructor(ports: VerificationPorts, options: WorkflowOptions = {}) {
    this.handlers = {
      [QueueNames.attach]: new AttachCheckedHandler(ports, options),
      [QueueNames.matchReport]: new MatchReportHandler(ports, options),
      [QueueNames.matchPledge]: new MatchPledgeHandler(ports, options),
      [QueueNames.detach]: new DetachRetractedHandler(ports, options),
    };
  }

  run(queue: QueueName, data: JobData): Promise<JobOutcome> {
    const handler = this.handlers[queue];
    if (!handler) return Promise.reject(new Error(`no verification handler for queue ${queue}`));
    return handler.handle(data);
  }
}
