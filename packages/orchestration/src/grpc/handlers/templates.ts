// TemplateService: convert → service → convert.
import {
  getTemplateRequestFromProto,
  listTemplatesRequestFromProto,
  templateListToProto,
  templateToProto,
  templateValidationToProto,
  validateTemplateRequestFromProto,
} from '@tasker/shared/convert/proto/index';
import type { TemplateServiceImplementation } from '@tasker/shared/gen/tasker/v1/templates';
import type { TemplateService } from '../../services/types.js';
import type { PrincipalContext } from '../context.js';

export function createTemplateHandlers(templates: TemplateService): TemplateServiceImplementation<PrincipalContext> {
  return {
    async listTemplates(req, { principal }) {
      return templateListToProto(await templates.list(principal, listTemplatesRequestFromProto(req)));
    },

    async getTemplate(req, { principal }) {
      const key = getTemplateRequestFromProto(req);
      return { template: templateToProto(await templates.get(principal, key.namespace, key.name, key.version)) };
    },

    async validateTemplate(req, { principal }) {
      return templateValidationToProto(await templates.validate(principal, validateTemplateRequestFromProto(req)));
    },
  };
}
